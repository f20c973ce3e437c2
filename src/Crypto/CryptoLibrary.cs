using RouterHost.Crypto.Internal;

namespace RouterHost.Crypto;

/// <summary>Which native libraries were found, and which one carries each primitive (for startup logs).</summary>
public static class CryptoLibrary
{
    /// <summary>OpenSSL 3 libcrypto (libcrypto.so.3) was loaded.</summary>
    public static bool IsOpenSslSupported => OpenSslLibrary.IsSupported;

    /// <summary>libsodium (the copy NSec.Cryptography ships, else a system one) was loaded and initialised.</summary>
    public static bool IsSodiumSupported => SodiumLibrary.IsSupported;

    /// <summary>OpenSSL's version text, or null.</summary>
    public static string? OpenSslVersion => OpenSslLibrary.Version;

    /// <summary>libsodium's version text, or null.</summary>
    public static string? SodiumVersion => SodiumLibrary.Version;

    /// <summary>
    /// Where the loaded libsodium comes from: "NSec.Cryptography" (the copy its package ships beside the application),
    /// "system" (a libsodium.so found by the loader when that copy is missing), or null when none was loaded.
    /// </summary>
    public static string? SodiumSource =>
        !SodiumLibrary.IsSupported ? null : Interop.Libraries.SodiumIsNSecs ? "NSec.Cryptography" : "system";

    /// <summary>
    /// "AVX-512" (our own C#, where the CPU has AVX-512 F and VL: every message size), "OpenSSL" (libsodium's single call
    /// below 96 bytes when it is present), "libsodium" or "none": what carries (X)ChaCha20-Poly1305.
    /// </summary>
    public static string AeadProvider => Name(BackendChoice.ChaCha20Poly1305);

    /// <summary>
    /// How OpenSSL's ChaCha20-Poly1305 is called: "provider" (its implementing provider's functions, EVP skipped),
    /// "EVP", or "none" when OpenSSL does not carry it.
    /// </summary>
    public static string OpenSslAeadPath =>
        !Internal.OpenSslChaCha20Poly1305.IsSupported ? "none" : Internal.OpenSslChaCha20Poly1305.UsesProvider ? "provider" : "EVP";

    /// <summary>
    /// One line on the AEAD for a start-up log: the libraries, and how OpenSSL's ChaCha20-Poly1305 is called — when it
    /// falls back to EVP, why the provider's functions were not used.
    /// </summary>
    public static string AeadDescription =>
        $"ChaCha20-Poly1305 from {(AeadProvider == "AVX-512" ? "RouterHost's own AVX-512 code, OpenSSL the fallback" : AeadProvider)} " +
        $"(OpenSSL {OpenSslVersion ?? "absent"}, " +
        $"libsodium {(SodiumVersion is null ? "absent" : $"{SodiumVersion} from {SodiumSource}")}; " +
        (OpenSslAeadPath switch
        {
            "provider" => "OpenSSL called through its provider's functions",
            "EVP" => $"OpenSSL called through EVP: {Internal.ProviderChaCha20Poly1305.UnavailableReason}",
            _ => "OpenSSL does not carry it",
        }) +
        (AeadProvider == "OpenSSL" && SodiumVersion is not null ? $"; libsodium below {BackendChoice.SmallMessageBytes} bytes" : "") +
        $"; X25519 from {KeyAgreementProvider})";

    /// <summary>"OpenSSL", "libsodium" or "none": the library carrying X25519.</summary>
    public static string KeyAgreementProvider => Name(BackendChoice.X25519);

    private static string Name(NativeBackend backend) => backend switch
    {
        NativeBackend.Avx512 => "AVX-512",
        NativeBackend.OpenSsl => "OpenSSL",
        NativeBackend.Sodium => "libsodium",
        _ => "none",
    };
}
