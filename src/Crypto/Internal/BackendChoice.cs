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
    /// ChaCha20-Poly1305 from 96 bytes up: our own C# over AVX-512 where the CPU has it (1.43x OpenSSL's provider
    /// functions at 1420 bytes sealed, 1.30x opened, 1.49x sealed at 256: no per-message cipher init, the Poly1305 key
    /// from the first pass); otherwise OpenSSL through its provider's functions (1.6x libsodium at 1420 bytes).
    /// </summary>
    internal static readonly NativeBackend ChaCha20Poly1305 =
        Avx512ChaCha20Poly1305.IsSupported ? NativeBackend.Avx512 : Choose(NativeBackend.OpenSsl);

    /// <summary>
    /// ChaCha20-Poly1305 below 96 bytes (keepalives, bare TCP ACKs, cookie replies): our AVX-512 code where the CPU has
    /// it (one 4-block pass over 128-bit rows: 1.4x libsodium's single call at 64 bytes); otherwise libsodium, one
    /// stateless call (1.14x faster than OpenSSL at 64 bytes, where OpenSSL's per-message init and final dominate; the
    /// measured crossover is about 100 bytes).
    /// </summary>
    internal static readonly NativeBackend ChaCha20Poly1305Small =
        Avx512ChaCha20Poly1305.IsSupported ? NativeBackend.Avx512 : Choose(NativeBackend.Sodium);

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
