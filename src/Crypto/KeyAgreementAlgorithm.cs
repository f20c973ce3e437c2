namespace RouterHost.Crypto;

/// <summary>Diffie-Hellman style key agreement. The one member WireGuard needs is <see cref="X25519"/>.</summary>
public abstract class KeyAgreementAlgorithm : Algorithm
{
    private static readonly X25519 s_x25519 = new();

    private protected KeyAgreementAlgorithm()
    {
    }

    /// <summary>X25519 (RFC 7748).</summary>
    public static X25519 X25519 => s_x25519;
}
