package phd4j.spark.example;

/** The example jobs' prompts: row i's is the same in every job, so runs can be compared row by row. */
final class Prompts {
    private static final String[] OPENINGS = {
        "It is a truth universally acknowledged", "Once upon a time", "The weather at Mansfield was", "My dear Miss Bennet,",
        "Enter a messenger.", "ROMEO: But soft,", "Lady Catherine was not pleased", "Mr. Darcy said", "KING:", "Emma could not",
        "The ball at Netherfield", "Sir Thomas returned",
    };
    private static final String[] SUBJECTS = {"she", "he", "the letter", "the carriage", "her sister", "the servant", "the house"};

    private Prompts() {}

    static String prompt(int i) {
        return OPENINGS[i % OPENINGS.length] + " " + SUBJECTS[(i / OPENINGS.length) % SUBJECTS.length] + " (" + i + ")";
    }
}
