namespace RouterHost.Crypto.Internal;

/// <summary>X25519 through OpenSSL's EVP_PKEY interface. Core methods: arguments are valid.</summary>
internal static unsafe class OpenSslX25519
{
    internal static SafeEvpPkeyHandle ImportPrivateKey(ReadOnlySpan<byte> scalar)
    {
        SafeEvpPkeyHandle key;
        fixed (byte* s = scalar)
        {
            key = Interop.Crypto.EVP_PKEY_new_raw_private_key(Interop.Crypto.EVP_PKEY_X25519, IntPtr.Zero, s, (nuint)scalar.Length);
        }

        if (key.IsInvalid)
        {
            key.Dispose();
            Interop.Crypto.ERR_clear_error();
            ThrowHelper.Native(nameof(Interop.Crypto.EVP_PKEY_new_raw_private_key));
        }

        return key;
    }

    internal static void GetPublicKey(SafeEvpPkeyHandle key, Span<byte> publicKey)
    {
        nuint length = (nuint)publicKey.Length;
        fixed (byte* p = publicKey)
        {
            if (Interop.Crypto.EVP_PKEY_get_raw_public_key(key, p, &length) != 1 || length != (nuint)publicKey.Length)
            {
                Interop.Crypto.ERR_clear_error();
                ThrowHelper.Native(nameof(Interop.Crypto.EVP_PKEY_get_raw_public_key));
            }
        }
    }

    /// <summary>False when OpenSSL refuses (it refuses an all-zero shared secret).</summary>
    internal static bool Agree(SafeEvpPkeyHandle privateKey, ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        SafeEvpPkeyHandle peer;
        fixed (byte* p = peerPublicKey)
        {
            peer = Interop.Crypto.EVP_PKEY_new_raw_public_key(Interop.Crypto.EVP_PKEY_X25519, IntPtr.Zero, p, (nuint)peerPublicKey.Length);
        }

        using (peer)
        {
            if (peer.IsInvalid)
            {
                Interop.Crypto.ERR_clear_error();
                return false;
            }

            using SafeEvpPkeyCtxHandle context = Interop.Crypto.EVP_PKEY_CTX_new(privateKey, IntPtr.Zero);
            if (context.IsInvalid)
            {
                Interop.Crypto.ERR_clear_error();
                ThrowHelper.Native(nameof(Interop.Crypto.EVP_PKEY_CTX_new));
            }

            nuint length = (nuint)sharedSecret.Length;
            fixed (byte* s = sharedSecret)
            {
                if (Interop.Crypto.EVP_PKEY_derive_init(context) != 1 ||
                    Interop.Crypto.EVP_PKEY_derive_set_peer(context, peer) != 1 ||
                    Interop.Crypto.EVP_PKEY_derive(context, s, &length) != 1 ||
                    length != (nuint)sharedSecret.Length)
                {
                    Interop.Crypto.ERR_clear_error();
                    return false;
                }
            }

            return true;
        }
    }
}
