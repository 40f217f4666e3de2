import "cycle_b.sl";
layer a_layer { default allow; }
