#pragma once
// Classifies a stream of inputs with a pool of worker threads and writes every record in input order.
//
// A thread of its own reads the inputs (input_prefetch.h); the batching thread cuts them into batches of
// batch_size lines, or fewer once they hold 1 MiB of text, or fewer when no further input is waiting: then what
// it has is classified and written out at once, so a slow writer or a coprocess gets each answer as its line
// arrives. Each worker tokenizes a batch, runs it through the model with its own Workspace, and formats its records;
// the batching thread writes finished batches strictly in order. At most 2 * threads batches are in flight, so memory
// stays flat however long the input, and however long its lines.
#include <cstddef>

#include "attention_dump.h"
#include "attn/long_text.h"
#include "attn/model.h"
#include "inputs.h"
#include "outputs.h"

namespace attn::app {

struct PipelineResult {
  size_t inputs = 0;
  size_t errors = 0;           // inputs that got an error record
  size_t below_threshold = 0;  // inputs whose record names no label: none reached --threshold
};

// Called on the batching thread after each batch is written, with the running count of inputs.
using ProgressCallback = void (*)(size_t inputs_written, void* context);

// Inputs classified together, the one default of classify and eval: bench/RESULTS.md compares the batch sizes.
constexpr size_t kDefaultBatchSize = 128;

struct PipelineOptions {
  size_t batch_size = kDefaultBatchSize;
  size_t threads = 1;
  LongTextOptions long_text;  // what to do with texts longer than the model's max_length
  ProgressCallback progress = nullptr;
  void* progress_context = nullptr;
};

PipelineResult run_pipeline(const Model& model, InputReader& reader, RecordWriter& writer, AttentionDump* dump,
                            const PipelineOptions& options);

}  // namespace attn::app
