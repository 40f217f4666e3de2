import "cycle_a.sl";
layer b_layer { default allow; }
