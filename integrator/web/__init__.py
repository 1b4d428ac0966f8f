"""The web edge: the Sales Engineers' form, the JSON API, health and metrics (`create_app`)."""
