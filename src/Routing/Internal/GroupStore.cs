namespace RouterHost.Routing.Internal;

/// <summary>
/// The builder's route groups, in pages of <see cref="PageSize"/> that are shared with the snapshots already
/// built and copied on the first write after a build, so a small change copies one page (and the page list),
/// not every group.
/// </summary>
internal sealed class GroupStore
{
    public const int PageBits = 10;
    public const int PageSize = 1 << PageBits;
    public const int PageMask = PageSize - 1;

    private RouteGroup[][] _pages;
    private int[] _pageEpoch;
    private bool _pagesShared;
    private int _epoch = 1;
    private int _highWater;
    private readonly Stack<int> _free = new();

    public GroupStore()
    {
        _pages = new RouteGroup[4][];
        _pageEpoch = new int[4];
    }

    /// <summary>Adopts a snapshot's pages (shared until written).</summary>
    public GroupStore(GroupSnapshot snapshot)
    {
        _pages = snapshot.Pages;
        _pageEpoch = new int[_pages.Length];
        _pagesShared = true;
        _highWater = snapshot.HighWater;
        for (int g = snapshot.HighWater - 1; g >= 0; g--)
        {
            if (Get(g).MemberCount == 0)
            {
                _free.Push(g);
            }
        }
    }

    public int HighWater => _highWater;

    public int Count => _highWater - _free.Count;

    public ref readonly RouteGroup Get(int index) => ref _pages[index >> PageBits][index & PageMask];

    public void Set(int index, in RouteGroup group) => WritablePage(index >> PageBits)[index & PageMask] = group;

    public int Allocate(in RouteGroup group)
    {
        int index;
        if (_free.Count > 0)
        {
            index = _free.Pop();
        }
        else
        {
            if (_highWater >= PrefixTrie.MaxGroups)
            {
                throw new InvalidOperationException($"A routing table holds at most {PrefixTrie.MaxGroups} prefixes.");
            }

            index = _highWater++;
            int page = index >> PageBits;
            if (page >= _pages.Length)
            {
                Array.Resize(ref _pages, _pages.Length * 2);
                Array.Resize(ref _pageEpoch, _pages.Length);
                _pagesShared = false;
            }

            if (_pages[page] is null)
            {
                WritablePages()[page] = new RouteGroup[PageSize];
                _pageEpoch[page] = _epoch;
            }
        }

        Set(index, group);
        return index;
    }

    public void Free(int index)
    {
        Set(index, default);
        _free.Push(index);
    }

    public GroupSnapshot Freeze()
    {
        _pagesShared = true;
        _epoch++;
        return new GroupSnapshot(_pages, _highWater, Count);
    }

    private RouteGroup[][] WritablePages()
    {
        if (_pagesShared)
        {
            _pages = (RouteGroup[][])_pages.Clone();
            _pagesShared = false;
        }

        return _pages;
    }

    private RouteGroup[] WritablePage(int page)
    {
        if (_pageEpoch[page] != _epoch)
        {
            WritablePages()[page] = (RouteGroup[])_pages[page].Clone();
            _pageEpoch[page] = _epoch;
        }

        return _pages[page];
    }
}
