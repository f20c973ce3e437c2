using RouterHost.Linux.TestSupport;

namespace RouterHost.Plugins.AfXdp.Tests;

/// <summary>Skips a functional test only where the facility is truly absent (not Linux, not root, no <c>ip</c>).</summary>
internal static class Requires
{
    public static void NetworkNamespaces() =>
        Assert.SkipWhen(!NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
}
