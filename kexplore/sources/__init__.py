"""Where cluster data comes from: live API, snapshot files, the bundled demo."""
