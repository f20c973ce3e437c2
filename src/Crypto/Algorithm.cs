namespace RouterHost.Crypto;

/// <summary>
/// Root of the closed algorithm hierarchy: every algorithm is a singleton reached through its family
/// (<see cref="AeadAlgorithm.ChaCha20Poly1305"/>, <see cref="KeyAgreementAlgorithm.X25519"/>); nothing outside
/// this assembly can derive from it.
/// </summary>
public abstract class Algorithm
{
    private protected Algorithm()
    {
    }

    /// <summary>Whether a native library that implements this algorithm was found.</summary>
    public abstract bool IsSupported { get; }
}
