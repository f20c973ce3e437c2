using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto.Tests;

/// <summary>
/// Both native libraries and our AVX-512 code, so every vector is checked through each (skipped if a library, or the
/// CPU feature, is absent).
/// </summary>
internal static class Backends
{
    internal static NativeBackend Parse(string name)
    {
        NativeBackend backend = Enum.Parse<NativeBackend>(name);
        bool present = backend switch
        {
            NativeBackend.OpenSsl => OpenSslLibrary.IsSupported,
            NativeBackend.Avx512 => Avx512ChaCha20Poly1305.IsSupported,
            _ => SodiumLibrary.IsSupported,
        };
        Assert.SkipUnless(present, backend == NativeBackend.Avx512 ? "this CPU has no AVX-512 (F and VL)" : $"{name} is not installed");
        return backend;
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal));
}
