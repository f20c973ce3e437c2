using System.Runtime.CompilerServices;

namespace RouterHost.Crypto.Internal;

/// <summary>
/// The native library used per primitive, chosen by measurement (bench/RouterHost.Benchmarks/Crypto, figures in
/// docs/architecture.md): the preferred library when it is present, the other one otherwise.
/// </summary>
internal static class BackendChoice
{
    /// <summary>Messages shorter than this go to <see cref="ChaCha20Poly1305Small"/>.</summary>
    internal const int SmallMessageBytes = 512;

    /// <summary>ChaCha20-Poly1305 from 512 bytes up: OpenSSL (AVX-512 assembly; 1.45x libsodium at 1420 bytes, 2.5x at 65000).</summary>
    internal static readonly NativeBackend ChaCha20Poly1305 = Choose(NativeBackend.OpenSsl);

    /// <summary>
    /// ChaCha20-Poly1305 below 512 bytes (keepalives, TCP ACKs, handshake payloads): libsodium, one stateless call
    /// instead of OpenSSL's five EVP calls (1.6x faster at 64 bytes); the measured crossover is about 470 bytes.
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
