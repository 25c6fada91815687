"""The web app's routes, one module per page (its HTML view and the API it calls)."""
