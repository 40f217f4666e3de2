const A = B; const B = C; const C = A, 1..A;
layer l { out { group g priority 1 { rule r priority 1 match dst_port A..B action allow; } } }
