void pk_placeholder(void) {}
