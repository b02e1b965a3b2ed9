"""Call-backs: people who asked to be called, and the queue counsellors work them from."""
