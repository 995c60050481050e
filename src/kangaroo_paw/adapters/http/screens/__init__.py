"""Kitchen screens in the browser: station, expo and manager pages served with the API.

The pages and their scripts live in ``static/`` inside the package (no CDN, no build step);
they hold no data and are public. Everything they show comes from the token-protected API.
"""
