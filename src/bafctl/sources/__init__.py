"""Where register bytes come from: the layout rules shared by the disk and git readers."""
