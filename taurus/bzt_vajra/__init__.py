"""bzt-vajra: the Taurus executor plugin for the vajra load engine (``executor: vajra``).

``vajra_executor`` holds all of it: finding the binary, handing vajra the effective execution
(vajra reads Taurus configs itself), running it and reading its results. ``bzt-configs.json``
registers the ``vajra`` module with Taurus on import-path scan, so a config needs only
``executor: vajra``.
"""
