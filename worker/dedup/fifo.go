package dedup

// fifoBlock is how many items a block of the FIFO holds (24 KiB).
const fifoBlock = 1024

// fifo is the committed keys in commit order, oldest first, as a list of
// fixed-size blocks. A flat slice grown by append copied every key on each
// growth (Go grows large slices by a quarter: about five copies of each key
// on the way to a million) and, at the bound, copied megabytes under the
// store's lock at once; blocks are never copied, and the block emptied at
// the front is the next one filled at the back.
type fifo struct {
	blocks [][]item // blocks[0][head:] is the oldest; every block but the last is full
	head   int
	n      int
	spare  []item // an emptied block, kept for the next push that needs one
}

func (f *fifo) len() int { return f.n }

// push adds it at the back.
func (f *fifo) push(it item) {
	last := len(f.blocks) - 1
	if last < 0 || len(f.blocks[last]) == fifoBlock {
		b := f.spare
		f.spare = nil
		if b == nil {
			b = make([]item, 0, fifoBlock)
		}
		f.blocks = append(f.blocks, b)
		last++
	}
	f.blocks[last] = append(f.blocks[last], it)
	f.n++
}

// front returns the oldest item; the FIFO must not be empty.
func (f *fifo) front() item { return f.blocks[0][f.head] }

// pop drops the oldest item; the FIFO must not be empty.
func (f *fifo) pop() {
	f.head++
	f.n--
	if f.head == len(f.blocks[0]) {
		// The front block is used up (full, or the last one and now
		// empty): keep it for reuse.
		f.spare = f.blocks[0][:0]
		f.blocks[0] = nil
		f.blocks = f.blocks[1:]
		f.head = 0
	}
}
