"""bzt-vajra: the Taurus executor plugin for the vajra load engine (``executor: vajra``).

``vajra_executor`` holds the Taurus side (finding the binary, running it, reading results),
``vajra_plan`` the translation of Taurus settings into a vajra plan. ``bzt-configs.json``
registers the ``vajra`` module with Taurus on import-path scan, so a config needs only
``executor: vajra``.
"""
