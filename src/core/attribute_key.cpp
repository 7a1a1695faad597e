#include "honeyhive/core/attribute_key.hpp"

#include <limits>
#include <new>
#include <stdexcept>

namespace honeyhive {

// The block is one allocation of the header and the text: raw storage from operator new, as the
// text's length is known only here (std::string allocates its buffer the same way).
AttributeKey::Block* AttributeKey::make_block(const char* text, std::size_t size) {
  // (As std::string refuses a length it cannot hold: the header and the NUL must fit beside it.)
  if (size > std::numeric_limits<std::size_t>::max() / 2 - sizeof(Block)) throw std::length_error("AttributeKey");
  void* storage = ::operator new(sizeof(Block) + size + 1);
  auto* block = new (storage) Block{{1}, size};
  char* own = block->text();
  std::memcpy(own, text, size);
  own[size] = '\0';
  return block;
}

void AttributeKey::free_block(Block* block) noexcept {
  block->~Block();
  ::operator delete(static_cast<void*>(block));
}

}  // namespace honeyhive
