import Testing
@Test func sealPlaceholder() {}
