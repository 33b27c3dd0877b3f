"""Groups to recommendations: which file is the original (``originality``), the keep rules
(``rules``), the profiles (``profiles``) and the recommendation with its reasons
(``recommend``). Imports analysis, matching and the models; never the store or a UI."""
