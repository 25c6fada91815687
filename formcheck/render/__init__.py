"""Drawing results: the PDF/PNG report, the annotated video, the batch report."""
