"""The local web app (``formcheck serve``): upload clips, follow their analysis, read, compare and download results."""
