namespace RouterHost.Crypto.Internal;

/// <summary>Which native library carries a primitive.</summary>
internal enum NativeBackend
{
    None = 0,
    OpenSsl,
    Sodium,

    /// <summary>No library: our own C# over AVX-512 (<see cref="Avx512ChaCha20Poly1305"/>).</summary>
    Avx512,
}
