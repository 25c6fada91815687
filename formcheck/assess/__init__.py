"""Pure assessment: norms with their sources, fault rules, and the whole clip analysis."""
