using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

/// <summary>Both native libraries, so every vector is checked through each (skipped if a library is absent).</summary>
internal static class Backends
{
    internal static NativeBackend Parse(string name)
    {
        NativeBackend backend = Enum.Parse<NativeBackend>(name);
        bool present = backend == NativeBackend.OpenSsl ? OpenSslLibrary.IsSupported : SodiumLibrary.IsSupported;
        Assert.SkipUnless(present, $"{name} is not installed");
        return backend;
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
}
