"""What is on disk: file formats recognised by their bytes (``formats``), the walk that finds
photos (``discover``), the fast reduced decode (``imaging``) and what a file says about itself
(``metadata``). Imports only the models, errors and paths helpers; never the store or a UI."""
