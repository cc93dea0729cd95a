"""The Textual console. Everything here is presentation: data comes from
`window_tui.session` through workers, and changes arrive as messages."""
