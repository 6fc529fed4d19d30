"""Summary statistics and charts for the results report."""
