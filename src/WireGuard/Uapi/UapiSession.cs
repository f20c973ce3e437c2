using System.Text;

namespace RouterHost.WireGuard.Uapi;

/// <summary>
/// One UAPI connection as a byte-in, byte-out state machine (no I/O of its own, so tests and the fuzzer drive it with
/// any bytes in any pieces). Requests follow one another on a connection as wireguard-go allows: <c>get=1\n\n</c>
/// is answered with the device's lines, <c>errno=0</c> and a blank line; <c>set=1\n</c>, lines, and a blank line (or
/// the end of input, which wireguard-go also takes as the end) with <c>errno=N</c> and a blank line. An unknown
/// operation closes the connection unanswered, as wireguard-go does; after an error reply the connection closes.
/// A line longer than <see cref="MaxLineBytes"/> or a <c>set</c> body longer than <see cref="MaxRequestBytes"/>
/// is answered <c>errno=-5</c> (EIO: what wireguard-go gives for a line over its 64 KiB limit) and closed.
/// </summary>
internal sealed class UapiSession
{
    /// <summary>The longest line (without its '\n'): wireguard-go's scanner limit.</summary>
    public const int MaxLineBytes = 65535;

    /// <summary>The largest <c>set</c> body (about 10,000 peers with a few allowed IPs each).</summary>
    public const int DefaultMaxRequestBytes = 4 << 20;

    private readonly IUapiDevice _device;
    private readonly Action<UapiResult>? _onError;
    private readonly List<byte> _line = new(128);
    private readonly StringBuilder _output = new();
    private State _state = State.Operation;
    private UapiSetParser? _set;
    private int _lineNumber;
    private long _requestBytes;

    /// <param name="device">What <c>get</c> reads and <c>set</c> changes.</param>
    /// <param name="onError">Told of every error answered (for the log).</param>
    /// <param name="maxRequestBytes">The cap on one <c>set</c> body.</param>
    public UapiSession(IUapiDevice device, Action<UapiResult>? onError = null, int maxRequestBytes = DefaultMaxRequestBytes)
    {
        _device = device;
        _onError = onError;
        MaxRequestBytes = maxRequestBytes;
    }

    private enum State
    {
        Operation,
        GetBlank,
        SetBody,
        Closed,
    }

    public int MaxRequestBytes { get; }

    /// <summary>True once the connection is to be closed (after sending what <see cref="TakeOutput"/> holds).</summary>
    public bool Closed => _state == State.Closed;

    /// <summary>True while a request has started and is not complete (a slow client's request is timed against this).</summary>
    public bool InRequest => _state is State.GetBlank or State.SetBody || _line.Count > 0;

    /// <summary>Takes in bytes received; answers every request they complete.</summary>
    public void Receive(ReadOnlySpan<byte> data)
    {
        foreach (byte b in data)
        {
            if (_state == State.Closed)
            {
                return;
            }

            if (_state == State.SetBody && ++_requestBytes > MaxRequestBytes)
            {
                Reply(new UapiResult(UapiErrno.Io, $"the set request is longer than {MaxRequestBytes} bytes"));
                return;
            }

            if (b != (byte)'\n')
            {
                if (_line.Count >= MaxLineBytes)
                {
                    if (_state == State.SetBody)
                    {
                        Reply(new UapiResult(UapiErrno.Io, $"line {_lineNumber + 1}: longer than {MaxLineBytes} bytes"));
                    }
                    else
                    {
                        _state = State.Closed;
                    }

                    return;
                }

                _line.Add(b);
                continue;
            }

            string line = Encoding.Latin1.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
            _line.Clear();
            OnLine(line);
        }
    }

    /// <summary>The client closed its side: a <c>set</c> body ends here (wireguard-go applies it); anything else closes.</summary>
    public void EndOfInput()
    {
        if (_state == State.SetBody)
        {
            if (_line.Count > 0)
            {
                // wireguard-go's scanner hands over a last line without its '\n'.
                string line = Encoding.Latin1.GetString(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_line));
                _line.Clear();
                OnLine(line);
                if (_state != State.SetBody)
                {
                    _state = State.Closed;
                    return;
                }
            }

            FinishSet();
        }

        _state = State.Closed;
    }

    /// <summary>The reply bytes produced so far (ASCII), emptied.</summary>
    public byte[] TakeOutput()
    {
        byte[] bytes = Encoding.ASCII.GetBytes(_output.ToString());
        _output.Clear();
        return bytes;
    }

    private void OnLine(string line)
    {
        switch (_state)
        {
            case State.Operation:
                if (line == "get=1")
                {
                    _state = State.GetBlank;
                }
                else if (line == "set=1")
                {
                    _state = State.SetBody;
                    _set = new UapiSetParser();
                    _lineNumber = 1;
                    _requestBytes = 0;
                }
                else
                {
                    // wireguard-go closes on an unknown operation without a word.
                    _onError?.Invoke(new UapiResult(UapiErrno.Invalid, $"unknown operation '{UapiProtocol.Shown(line)}' (get=1 or set=1); connection closed"));
                    _state = State.Closed;
                }

                break;
            case State.GetBlank:
                if (line.Length != 0)
                {
                    Reply(new UapiResult(UapiErrno.Invalid, "get=1 must be followed by a blank line"));
                    return;
                }

                _output.Append(UapiProtocol.FormatGet(_device.Snapshot())).Append("errno=0\n\n");
                _state = State.Operation;
                break;
            case State.SetBody:
                _lineNumber++;
                if (line.EndsWith('\r'))
                {
                    line = line[..^1];
                }

                if (line.Length == 0)
                {
                    FinishSet();
                    return;
                }

                // After a bad line the rest of the body is read (so the client's writes do not fail) but not parsed.
                _set!.Line(line, _lineNumber);
                break;
        }
    }

    private void FinishSet()
    {
        UapiSetParser set = _set!;
        _set = null;
        if (!set.Error.Succeeded)
        {
            Reply(set.Error);
            return;
        }

        UapiResult result = _device.Apply(set.Request);
        if (!result.Succeeded)
        {
            Reply(result);
            return;
        }

        _output.Append("errno=0\n\n");
        _state = State.Operation;
    }

    /// <summary>An error reply; the connection then closes (wireguard-go's stream is out of step after one).</summary>
    private void Reply(UapiResult error)
    {
        _onError?.Invoke(error);
        _output.Append("errno=").Append(error.Errno.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append("\n\n");
        _state = State.Closed;
        _set = null;
        _line.Clear();
    }
}
