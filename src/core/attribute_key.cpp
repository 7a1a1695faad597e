#include "honeyhive/core/attribute_key.hpp"

#include <new>

namespace honeyhive {

// The block is one allocation of the header and the text: raw storage from operator new, as the
// text's length is known only here (std::string allocates its buffer the same way).
AttributeKey::Block* AttributeKey::make_block(const char* text, std::size_t size) {
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
