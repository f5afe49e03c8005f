"""Form services: the rules above the store port; views call one function each."""
