"""The command line (typer): formcheck analyze, report, batch, samples."""
