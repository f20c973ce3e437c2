using System.Runtime.CompilerServices;

namespace RouterHost.Crypto.Internal;

/// <summary>
/// The native library used per primitive, chosen by measurement (bench/RouterHost.Benchmarks/Crypto, figures in
/// docs/architecture/crypto.md): the preferred library when it is present, the other one otherwise.
/// </summary>
internal static class BackendChoice
{
    /// <summary>Messages shorter than this go to <see cref="ChaCha20Poly1305Small"/>.</summary>
    internal const int SmallMessageBytes = 96;

    /// <summary>
    /// ChaCha20-Poly1305 from 96 bytes up: OpenSSL through its provider's functions (AVX-512 assembly; 1.6x libsodium at
    /// 1420 bytes, 2.3x at 65000, 1.1x at 128).
    /// </summary>
    internal static readonly NativeBackend ChaCha20Poly1305 = Choose(NativeBackend.OpenSsl);

    /// <summary>
    /// ChaCha20-Poly1305 below 96 bytes (keepalives, bare TCP ACKs, cookie replies): libsodium, one stateless call
    /// (1.14x faster than OpenSSL at 64 bytes, where OpenSSL's per-message init and final dominate); the measured
    /// crossover is about 100 bytes (it was 470 through EVP, before the provider functions).
    /// </summary>
    internal static readonly NativeBackend ChaCha20Poly1305Small = Choose(NativeBackend.Sodium);

    /// <summary>X25519: libsodium (1.66x faster than OpenSSL's EVP_PKEY derive, which also allocates per call).</summary>
    internal static readonly NativeBackend X25519 = Choose(NativeBackend.Sodium);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static NativeBackend ChaCha20Poly1305For(int length) =>
        length < SmallMessageBytes ? ChaCha20Poly1305Small : ChaCha20Poly1305;

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
