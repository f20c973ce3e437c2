namespace RouterHost.Crypto.Internal;

/// <summary>
/// The native library used per primitive, chosen by measurement (bench/RouterHost.Benchmarks/Crypto, figures in
/// docs/architecture.md): the preferred library when it is present, the other one otherwise.
/// </summary>
internal static class BackendChoice
{
    internal static readonly NativeBackend ChaCha20Poly1305 = Choose(NativeBackend.OpenSsl);

    internal static readonly NativeBackend X25519 = Choose(NativeBackend.Sodium);

    private static NativeBackend Choose(NativeBackend preferred)
    {
        bool openSsl = OpenSslLibrary.IsSupported && OpenSslChaCha20Poly1305.IsSupported;
        bool sodium = SodiumLibrary.IsSupported;
        return preferred switch
        {
            NativeBackend.OpenSsl when openSsl => NativeBackend.OpenSsl,
            NativeBackend.Sodium when sodium => NativeBackend.Sodium,
            _ when openSsl => NativeBackend.OpenSsl,
            _ when sodium => NativeBackend.Sodium,
            _ => NativeBackend.None,
        };
    }
}
