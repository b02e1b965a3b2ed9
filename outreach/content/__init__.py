"""Topic content as data: texts, reply options, keywords, and the rendering of messages."""
