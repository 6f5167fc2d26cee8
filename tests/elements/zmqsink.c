/* STUB test placeholder */
int main (void) { return 77; }
