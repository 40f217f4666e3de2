"unterminated
/* unterminated comment