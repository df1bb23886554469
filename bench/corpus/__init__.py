"""Seeds -> segmented units -> aligned annotations -> dataset."""
