"""Seeds -> segmented units -> annotations -> contrast cases -> dataset."""
