"""File actions: from the person's decisions to files moved, safely and reversibly. ``plan``
builds what would happen, ``apply`` does it with a journal (``resume`` finishes an interrupted
batch), ``undo`` brings files back, ``fsops`` holds the careful file operations. ``session``
is the Library's face for all of it."""
