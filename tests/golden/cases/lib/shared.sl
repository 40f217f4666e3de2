// Imported by warnings.sl; its unused declarations are not reported.
layer shared_layer { default allow; }
layer shared_unused { default deny; }
