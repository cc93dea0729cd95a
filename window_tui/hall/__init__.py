"""The hall: what displays, voice, kiosks and the rating pad need, without Textual."""
