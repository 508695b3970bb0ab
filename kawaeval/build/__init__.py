"""How a report is made: chapters run in kernels, exported to HTML, stamped and published."""
