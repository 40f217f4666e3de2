routes r { ::/0 -> drop; 0.0.0.0/0 -> drop; ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128 -> host ::1; 255.255.255.255/32 -> gateway 0.0.0.0; 1.2.3.4/99999999999999999999 -> drop; }
