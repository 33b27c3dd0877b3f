"""The app's own widgets, one per module. Import each from its module (``tui.widgets.preview``),
so that using one widget never loads another's dependencies (textual_image for the preview)."""
