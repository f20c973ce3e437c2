namespace RouterHost.Sdk.Tests;

/// <summary>Every test class here that needs root says so (see <see cref="NeedsRootTraitCheck"/>).</summary>
public sealed class NeedsRootTraitTests : NeedsRootTraitCheck;
