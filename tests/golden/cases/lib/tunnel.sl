import "overlay.sl";
