"""The TF1 graph engine: the same network as ``np_engine``, module for module, as a static graph.

Graph builders here never open a Session; ``train.py`` runs them.
"""
